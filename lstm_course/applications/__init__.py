"""The course's applications (part II of the book): each module is the tested code behind one chapter.

``forecasting``       forecasting a series: baselines, an LSTM forecaster, multi-step forecasts, intervals
``date_translation``  written dates to ISO dates with an encoder-decoder with attention, greedy and beam search
"""
